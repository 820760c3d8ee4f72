/**
 * The 50-route table shared by the App benchmark peers (issue #4 part 7).
 *
 * Owns the list of route patterns keel's App and Fastify both register, and
 * the path the benchmark requests. The shapes mix static and parameter
 * routes the way a small API does. It must not contain framework code.
 */

/** The path wrk requests in the `app` scenario: a parameter route among the 50. */
export const APP_BENCH_PATH = '/users/42';

/** The route that answers `APP_BENCH_PATH` with `Hello, World!`. */
export const APP_HELLO_ROUTE = '/users/:id';

/** Number of routes each App peer registers, the hello route included. */
export const APP_ROUTE_COUNT = 50;

/**
 * The other 49 GET routes: 24 static, 24 with a parameter, and `/`.
 * Registered before the hello route so that it is not the first match tried.
 */
export function fillerRoutes() {
  const routes = ['/'];
  for (let i = 0; i < 24; i++) {
    routes.push(`/api/v1/items${i}`);
    routes.push(`/api/v1/items${i}/:itemId`);
  }
  return routes;
}
