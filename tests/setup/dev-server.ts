import type { TestProject } from 'vitest/node';
import { freePort, startTemporalDevServer } from '../../tools/services';

declare module 'vitest' {
  export interface ProvidedContext {
    devServerAddress: string;
  }
}

/** The real Temporal dev server (in memory, headless) for the integration tests. */
export default async function setup(project: TestProject) {
  const server = await startTemporalDevServer({ port: await freePort() });
  project.provide('devServerAddress', server.address);
  return () => server.stop();
}
