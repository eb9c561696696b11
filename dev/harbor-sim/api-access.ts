// What the caller may do, read without trying it: the current user's permissions in a scope, and the
// scanner registrations. `harbor-promote doctor` relies on both to check a robot without changing anything.
import { sendJson } from './httpx';
import { projectByNameOrId } from './model';
import { PROJECT_PERMISSIONS, can, isAuthenticated } from './rbac';
import { scannerRegistrationJson } from './report';
import { requireSysadmin } from './api-common';
import { unauthorized } from './errors';
import type { Route } from './router';

/**
 * Harbor enumerates the policies of the scope's namespace and keeps those the caller `Can`: resources are
 * `/project/<id>/<resource>` (`/project/<id>` for the project itself), or relative to the scope with
 * `relative=true` (the project itself is then `.`). A scope that is not a project, or a project that does not
 * exist, lists nothing.
 */
const currentPermissions: Route = {
  method: 'GET',
  path: '/users/current/permissions',
  query: ['scope', 'relative'],
  handler: (c) => {
    if (!isAuthenticated(c.id)) throw unauthorized();
    const scope = c.query.get('scope') ?? '';
    const relative = c.query.get('relative') === 'true';
    const m = /^\/project\/(\d+)$/.exec(scope);
    const project = m ? projectByNameOrId(c.sim.s, m[1]!, false) : undefined;
    const out = !project
      ? []
      : PROJECT_PERMISSIONS.filter((p) => can(c.sim.s, c.id, project, p)).map((p) => {
          const [resource, action] = p.split(':') as [string, string];
          const self = resource === 'project'; // the project itself: `/project/<id>`, relative `.`
          const full = self ? scope : `${scope}/${resource}`;
          return { resource: relative ? (self ? '.' : resource) : full, action };
        });
    // Harbor's handler builds a nil slice when nothing is allowed, which go-swagger sends as `null`.
    sendJson(c.res, 200, out.length ? out : null);
  },
};

/** Admin only, like Harbor (a robot gets 403). `scanner: unavailable` in /_sim/faults means no registration. */
const scanners: Route = {
  method: 'GET',
  path: '/scanners',
  handler: (c) => {
    requireSysadmin(c);
    if (c.sim.faults.scanner === 'unavailable') {
      sendJson(c.res, 200, [], { 'X-Total-Count': '0' });
      return;
    }
    sendJson(c.res, 200, [scannerRegistrationJson()], { 'X-Total-Count': '1' });
  },
};

export function accessRoutes(): Route[] {
  return [currentPermissions, scanners];
}
