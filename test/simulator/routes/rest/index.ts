/** Every /rest route (the 6.6.1 wire of the seeds). */
import type { Route } from '../../context';
import { restDownloadSessionRoutes } from './download-session';
import { restLibraryRoutes } from './library';
import { restSessionRoutes } from './session';
import { restUpdateSessionRoutes } from './update-session';

export const restRoutes: Route[] = [
  ...restSessionRoutes,
  ...restLibraryRoutes,
  ...restUpdateSessionRoutes,
  ...restDownloadSessionRoutes,
];
