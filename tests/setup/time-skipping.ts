import type { TestProject } from 'vitest/node';
import { freePort, startTemporalTestServer } from '../../platform/services';

declare module 'vitest' {
  export interface ProvidedContext {
    timeSkippingAddress: string;
  }
}

export default async function setup(project: TestProject) {
  const server = await startTemporalTestServer(await freePort());
  project.provide('timeSkippingAddress', server.address);
  return () => server.stop();
}
