/** People as the pages show them: by name, never by id. */
import { z } from 'zod';
import { displayNames } from '../../app/people';
import { PersonIdList } from '../../domain/people';
import { roleGroups } from '../../domain/permissions';
import { route, type AnyRoute } from '../route';

const Names = z.object({
  names: z.record(z.string(), z.string()).describe('Display name by person id; ids of nobody are absent'),
});

export const peopleNamesRoute = route({
  method: 'get',
  path: '/v1/people/names',
  summary: "People's display names by id (disabled people too: history keeps their name)",
  tags: ['session'],
  roles: roleGroups.everyone,
  query: z.object({ ids: PersonIdList }),
  responses: { 200: { description: 'The names of the ids that name someone', schema: Names } },
  async handle({ query, ctx }) {
    return {
      status: 200,
      headers: { 'Cache-Control': 'private, max-age=60' },
      body: { names: await displayNames(ctx.deps.pool, query.ids) },
    };
  },
});

export const peopleRoutes: AnyRoute[] = [peopleNamesRoute];
