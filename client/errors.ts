/** Raised before anything starts when the input is invalid; the message names each field. The CLI exits 2. */
export class InvalidInputError extends Error {
  override readonly name = 'InvalidInputError';
}
