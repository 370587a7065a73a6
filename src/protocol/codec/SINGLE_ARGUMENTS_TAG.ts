/**
 * CBOR tag (first-come-first-served range, "dro" in ASCII) on a task payload whose items are each the
 * one argument of a call, rather than an argument array: `map(f, [1, 2])` sends `tag(6582895, [1, 2])`
 * instead of `[[1], [2]]`, which spares an array per item on both ends (docs/protocol.md, "Values").
 */
export const SINGLE_ARGUMENTS_TAG = 0x64726f;
