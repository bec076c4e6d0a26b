// BuildOptions with nothing set, for the unit tests of the planner: each test spreads it and sets
// only what it is about.
import type { BuildOptions } from './plan.ts';

export const NO_BUILD_OPTIONS: BuildOptions = {
  contextDir: '/src/app',
  dockerfile: '/src/app/Dockerfile',
  tags: [],
  buildArgs: {},
  labels: {},
  push: false,
  outputs: [],
  noCache: false,
  pull: false,
  secrets: [],
  cacheFrom: [],
  cacheTo: [],
  addHosts: [],
  allow: [],
};
