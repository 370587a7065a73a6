import { parseAllDocuments } from 'yaml';

/** Parse a multi-document YAML stream (what `kubectl kustomize` prints) into plain objects; a syntax error throws. */
export function parseYamlDocuments(text: string): Record<string, unknown>[] {
  const documents: Record<string, unknown>[] = [];
  for (const document of parseAllDocuments(text)) {
    if (document.errors.length > 0) throw document.errors[0];
    const value: unknown = document.toJS();
    if (value !== null && value !== undefined) documents.push(value as Record<string, unknown>);
  }
  return documents;
}
