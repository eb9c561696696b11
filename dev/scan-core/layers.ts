// Reading the apk database out of an image's layer tarballs (gzip or plain tar, streamed).
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Parser, type ReadEntry } from 'tar';

export const APK_DB = 'lib/apk/db/installed';
const APK_DB_WHITEOUT = 'lib/apk/db/.wh.installed';

export interface LayerRef {
  mediaType: string;
  digest: string;
}

/** Opens a blob of the image being scanned (from the registry's storage or through Harbor's /v2). */
export type OpenBlob = (digest: string) => Promise<Readable>;

/** Layers that are filesystem tarballs (skips e.g. cosign payloads and other non-tar blobs). */
export function isTarLayer(mediaType: string): boolean {
  return /tar/.test(mediaType);
}

type LayerDb = { kind: 'file'; text: string } | { kind: 'deleted' } | { kind: 'absent' };

/** The apk database as one layer leaves it: written, deleted (whiteout) or untouched. */
export async function readApkDbFromLayer(src: Readable): Promise<LayerDb> {
  let result: LayerDb = { kind: 'absent' };
  const parser = new Parser({
    onReadEntry: (entry: ReadEntry) => {
      const path = entry.path.replace(/^\.?\//, '');
      if (path === APK_DB) {
        const chunks: Buffer[] = [];
        entry.on('data', (c: Buffer) => chunks.push(c));
        entry.on('end', () => (result = { kind: 'file', text: Buffer.concat(chunks).toString('utf8') }));
      } else {
        if (path === APK_DB_WHITEOUT) result = { kind: 'deleted' };
        entry.resume();
      }
    },
  });
  await pipeline(src, parser);
  return result;
}

/** The image's apk database: a later layer overrides an earlier one. Null when the image has none. */
export async function apkDbOfImage(layers: LayerRef[], open: OpenBlob): Promise<string | null> {
  let db: string | null = null;
  for (const layer of layers) {
    if (!isTarLayer(layer.mediaType)) continue;
    const r = await readApkDbFromLayer(await open(layer.digest));
    if (r.kind === 'file') db = r.text;
    else if (r.kind === 'deleted') db = null;
  }
  return db;
}
