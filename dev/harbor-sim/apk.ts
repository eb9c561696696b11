// The apk/advisory logic lives in dev/scan-core (shared with dev/scanner-adapter); harbor-sim reads its own
// advisories.json.
import { join } from 'node:path';
import { loadAdvisoriesFile, type Advisory } from '../scan-core/apk';

export {
  AdvisorySchema,
  compareVersions,
  matchAdvisories,
  parseApkInstalled,
  type Advisory,
  type ApkPackage,
} from '../scan-core/apk';

export const ADVISORIES_PATH = join(__dirname, 'advisories.json');

export function loadAdvisories(): Advisory[] {
  return loadAdvisoriesFile(ADVISORIES_PATH);
}
