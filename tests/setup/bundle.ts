import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { bundleWorkflows } from '../../worker/bundle';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The workflows bundled once per run; every test worker loads this file. */
    workflowBundlePath: string;
  }
}

export default async function setup(project: TestProject) {
  const dir = mkdtempSync(join(tmpdir(), 'golive-bundle-'));
  project.provide('workflowBundlePath', await bundleWorkflows(join(dir, 'workflows.js')));
  return () => rmSync(dir, { recursive: true, force: true });
}
