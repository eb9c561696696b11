/**
 * Building request paths from the swagger templates. Repository names are URL-encoded TWICE in REST paths
 * (`team/app` → `team%252Fapp`, harbor-api.md §0); on /v2 they are plain path segments (§8).
 */

/** Encode one path segment, keeping `:` readable (digests `sha256:…`), which Harbor's router accepts. */
export function encodeSegment(value: string): string {
  return encodeURIComponent(value).replace(/%3A/gi, ':');
}

export function encodeRepositoryName(repository: string): string {
  return encodeURIComponent(encodeURIComponent(repository));
}

/** Fill `{name}` placeholders; `repository_name` gets the double encoding. */
export function fillTemplate(template: string, params: Record<string, string>): string {
  return template.replace(/\{([a-z_]+)\}/g, (_, key: string) => {
    const value = params[key];
    if (value === undefined) throw new Error(`missing path parameter ${key} for ${template}`);
    return key === 'repository_name' ? encodeRepositoryName(value) : encodeSegment(value);
  });
}

/** `</api/v2.0/...?page=2&page_size=10>; rel="next" , <...>; rel="prev"` → the next URL, if any. */
export function nextLink(link: string | undefined): string | undefined {
  if (!link) return undefined;
  for (const part of link.split(',')) {
    const m = /<([^>]+)>\s*;\s*rel="?next"?/.exec(part.trim());
    if (m) return m[1];
  }
  return undefined;
}
