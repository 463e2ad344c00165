import { Connection } from '@temporalio/client';
import type { TestProject } from 'vitest/node';
import { freePort, searchAttributes, startTemporalTestServer } from '../../platform/services';

declare module 'vitest' {
  export interface ProvidedContext {
    timeSkippingAddress: string;
  }
}

// temporal.api.enums.v1.IndexedValueType
const indexedValueType = { Keyword: 2, Int: 3 } as const;

export default async function setup(project: TestProject) {
  const server = await startTemporalTestServer(await freePort());
  // The workflows set golive's search attributes; this server knows only those registered here.
  const connection = await Connection.connect({ address: server.address });
  await connection.operatorService.addSearchAttributes({
    namespace: 'default',
    searchAttributes: Object.fromEntries(Object.entries(searchAttributes).map(([name, type]) => [name, indexedValueType[type]])),
  });
  await connection.close();
  project.provide('timeSkippingAddress', server.address);
  return () => server.stop();
}
