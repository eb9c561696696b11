// A scan request as Harbor sends it, shared by the adapter's unit tests.
import { MIME } from '../../../dev/scanner-adapter/api';

/** What Harbor v2.15.2's scan job posts (pkg/scan/rest/v1/models.go), extra fields included. */
export const harborRequest = (over: Record<string, unknown> = {}) => ({
  registry: { url: 'http://127.0.0.1:8080', authorization: 'Basic cm9ib3Q6c2VjcmV0', insecure: false },
  artifact: {
    repository: 'platform-dev/app',
    tag: 'v1',
    digest: `sha256:${'a'.repeat(64)}`,
    mime_type: 'application/vnd.oci.image.manifest.v1+json',
    size: 1234,
  },
  enabled_capabilities: [{ type: 'vulnerability', produces_mime_types: [MIME.reportV11], parameters: null }],
  ...over,
});
