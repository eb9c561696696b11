// tsx dev/oci-image/cli.ts build --out DIR --tag T [--packages name=ver,...] [--payload-bytes N] [--label L]
// tsx dev/oci-image/cli.ts push --layout DIR --tag T --dest 127.0.0.1:8080/platform-dev/app:T
//   push credentials from env OCI_PUSH_USERNAME/OCI_PUSH_PASSWORD, else HARBOR_CI_USERNAME/HARBOR_CI_PASSWORD.
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { buildImage } from './build';
import { pushImage } from './push';

const Pkgs = z
  .string()
  .default('')
  .transform((s) =>
    s
      .split(',')
      .filter(Boolean)
      .map((p) => {
        const [name, version] = p.split('=');
        if (!name || !version) throw new Error(`bad package "${p}", expected name=version`);
        return { name, version };
      }),
  );

async function main(): Promise<void> {
  const [cmd, ...rest] = process.argv.slice(2);
  const { values } = parseArgs({
    args: rest,
    options: {
      out: { type: 'string' },
      layout: { type: 'string' },
      tag: { type: 'string', default: 'latest' },
      packages: { type: 'string' },
      'payload-bytes': { type: 'string' },
      label: { type: 'string' },
      dest: { type: 'string' },
    },
  });
  if (cmd === 'build') {
    const out = z.string().min(1).parse(values.out);
    const img = await buildImage({
      out,
      tag: values.tag!,
      packages: Pkgs.parse(values.packages),
      payloadBytes: z.coerce.number().int().min(0).default(0).parse(values['payload-bytes']),
      label: values.label,
    });
    console.log(JSON.stringify(img));
  } else if (cmd === 'push') {
    const username = process.env.OCI_PUSH_USERNAME ?? process.env.HARBOR_CI_USERNAME;
    const password = process.env.OCI_PUSH_PASSWORD ?? process.env.HARBOR_CI_PASSWORD;
    if (!username || !password)
      throw new Error('set OCI_PUSH_USERNAME/OCI_PUSH_PASSWORD (or HARBOR_CI_USERNAME/HARBOR_CI_PASSWORD)');
    const digest = await pushImage({
      layoutDir: z.string().min(1).parse(values.layout),
      tag: values.tag!,
      dest: z.string().min(1).parse(values.dest),
      username,
      password,
    });
    console.log(digest);
  } else {
    console.error('usage: cli.ts build|push ...');
    process.exit(2);
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exit(1);
});
