/** Reads a pipeline YAML text (the `yaml` package) and validates it; not imported by workflow code. */
import { parseDocument } from 'yaml';
import { PipelineError, validatePipeline, type Pipeline } from './pipeline.js';

export function parsePipelineYaml(text: string, source = 'pipeline.yaml'): Pipeline {
  // uniqueKeys (the default) turns a repeated key into an error instead of "last one wins".
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0)
    throw new PipelineError(
      source,
      doc.errors.map(
        (e) =>
          `${e.linePos ? `line ${e.linePos[0].line}, column ${e.linePos[0].col}` : 'YAML'}: ${e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}; fix the YAML syntax`,
      ),
    );
  const value: unknown = doc.toJS();
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new PipelineError(source, [
      '(top level): expected a mapping with apiVersion, registry and environments',
    ]);
  return validatePipeline(value, source);
}
