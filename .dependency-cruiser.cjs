/**
 * golive's layers (README, "Architecture"): imports point one way, one named rule per arrow, so a
 * wrong import fails lint with the rule's name. Tests, benchmarks and dev scripts may import any
 * layer; nothing in production imports them.
 */
const production = '^(api|app|activities|adapters|compare|platform|domain|workflows|worker|ui)/';
const layer = (name) => `^${name}/`;
const only = (name, allowed, comment) => ({
  name,
  comment,
  severity: 'error',
  from: { path: layer(name.split('-')[0]) },
  to: { path: production, pathNot: allowed.map(layer).concat(layer(name.split('-')[0])) },
});

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'A cycle makes two rooms one: neither can change alone.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'production-not-dev',
      severity: 'error',
      comment: 'Dev-only code (scripts, tools, tests, benchmarks) is not shipped: production never imports it.',
      from: { path: production },
      to: { path: '^(scripts|tools|tests|bench)/' },
    },
    {
      name: 'domain-is-pure',
      severity: 'error',
      comment: 'domain/ holds the plan, messages and pure rules: it imports only domain/ and the comparison spec types.',
      from: { path: '^domain/' },
      to: { path: production, pathNot: ['^domain/', '^compare/spec'] },
    },
    only('compare-library', ['domain'], 'The comparison engine is a library: it imports domain/ only (no Temporal, no express).'),
    {
      name: 'compare-no-temporal-express',
      severity: 'error',
      comment: 'The comparison engine runs without Temporal or HTTP.',
      from: { path: '^compare/' },
      to: { path: 'node_modules/(@temporalio|express)' },
    },
    only('platform-base', ['domain'], 'platform/ (configuration, database, logger, mailer) imports domain/ only.'),
    only('adapters-edge', ['domain', 'platform'], 'Hospital systems and channels import domain/ and platform/.'),
    only('app-usecases', ['domain', 'compare', 'platform', 'adapters'], 'Use cases import domain/, compare/, platform/ and adapters/.'),
    only(
      'activities-thin',
      ['app', 'compare', 'adapters', 'domain', 'platform'],
      'Activities are thin adapters over use cases and libraries.',
    ),
    {
      name: 'workflows-deterministic',
      severity: 'error',
      comment: 'Workflows import domain/ and, as types only, activities/.',
      from: { path: '^workflows/' },
      to: { path: production, pathNot: ['^workflows/', '^domain/', '^activities/'] },
    },
    {
      name: 'workflows-activity-types-only',
      severity: 'error',
      comment: 'A workflow calls activities through proxies: their code never enters the workflow bundle.',
      from: { path: '^workflows/' },
      to: { path: '^activities/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'api-http',
      severity: 'error',
      comment: 'The API imports use cases, domain/, platform/, and workflows as types only.',
      from: { path: '^api/' },
      to: { path: production, pathNot: ['^api/', '^app/', '^domain/', '^platform/', '^workflows/'] },
    },
    {
      name: 'api-workflow-types-only',
      severity: 'error',
      comment: "The API starts and signals workflows by name: their code is the worker's.",
      from: { path: '^api/' },
      to: { path: '^workflows/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'ui-types-only',
      severity: 'error',
      comment: 'The command center imports nothing of the server but types (and pure domain/ rules).',
      from: { path: '^ui/' },
      to: { path: production, pathNot: ['^ui/', '^domain/'] },
    },
    {
      name: 'nothing-imports-worker',
      severity: 'error',
      comment: 'worker/ is the wiring: nothing in production depends on it.',
      from: { path: production, pathNot: '^worker/' },
      to: { path: '^worker/' },
    },
  ],
  options: {
    includeOnly: '^(api|app|activities|adapters|compare|platform|domain|workflows|worker|ui|scripts|tools|tests|bench)/|^node_modules/',
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(node_modules|dist|\\.tools|test-results)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default'],
      extensions: ['.ts', '.tsx', '.js', '.mjs', '.cjs', '.json'],
    },
  },
};
