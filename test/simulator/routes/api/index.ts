/**
 * Every /api route (the vSphere 8.0.2 wire). Sessions under `/item/update-session` and
 * `/item/download-session` come before items, and items before libraries, because the id segments of
 * the shorter paths would otherwise match the longer paths' names.
 */
import type { Route } from '../../context';
import { apiDownloadSessionRoutes } from './download-session';
import { apiLibraryRoutes } from './library';
import { apiSessionRoutes } from './session';
import { apiUpdateSessionRoutes } from './update-session';

export const apiRoutes: Route[] = [
  ...apiSessionRoutes,
  ...apiUpdateSessionRoutes,
  ...apiDownloadSessionRoutes,
  ...apiLibraryRoutes,
];
