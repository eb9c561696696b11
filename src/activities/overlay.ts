/**
 * The kustomize overlay edit, pure: set `images[name=…].newName/newTag/digest` in a kustomization.yaml
 * through the `yaml` package's Document API, so comments, key order and formatting elsewhere survive.
 */
import { isMap, isSeq, parseDocument, YAMLMap, YAMLSeq } from 'yaml';

export interface ImagePin {
  name: string;
  newName: string;
  newTag?: string;
  digest: string;
  /** Remove `newTag` when none is given (a rollback to a digest promoted without a tag). */
  dropTag?: boolean;
}

export interface OverlayEdit {
  text: string;
  changed: boolean;
  /** The digest the entry pinned before the edit. */
  previousDigest?: string;
}

export function setOverlayImage(source: string, pin: ImagePin): OverlayEdit {
  const doc = parseDocument(source);
  if (doc.errors.length > 0) throw new Error(`kustomization.yaml does not parse: ${doc.errors[0]!.message}`);
  if (doc.contents === null) doc.contents = doc.createNode({}) as never;
  if (!isMap(doc.contents)) throw new Error('kustomization.yaml is not a mapping');

  let images = doc.get('images', true);
  if (images === undefined || images === null) {
    images = new YAMLSeq();
    doc.set('images', images);
  }
  if (!isSeq(images)) throw new Error('kustomization.yaml: `images` is not a list');

  let entry = images.items.find((i): i is YAMLMap => isMap(i) && i.get('name') === pin.name);
  if (!entry) {
    entry = doc.createNode({ name: pin.name }) as YAMLMap;
    images.add(entry);
  }
  const before = JSON.stringify(entry.toJSON());
  const old: unknown = entry.get('digest');
  entry.set('newName', pin.newName);
  if (pin.newTag !== undefined) entry.set('newTag', pin.newTag);
  else if (pin.dropTag) entry.delete('newTag');
  entry.set('digest', pin.digest);
  const changed = JSON.stringify(entry.toJSON()) !== before;
  return {
    text: changed ? doc.toString() : source,
    changed,
    ...(typeof old === 'string' && { previousDigest: old }),
  };
}

/** What the overlay currently pins for `name`, if anything (used to decide "already current"). */
export function readOverlayImage(source: string, name: string): Partial<ImagePin> | undefined {
  const doc = parseDocument(source);
  const images = doc.get('images', true);
  if (!isSeq(images)) return undefined;
  const entry = images.items.find((i): i is YAMLMap => isMap(i) && i.get('name') === name);
  return entry ? (entry.toJSON() as Partial<ImagePin>) : undefined;
}
