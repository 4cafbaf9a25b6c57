/** Raised before anything starts when the input is invalid; the message names each field. The CLI exits 2. */
export class InvalidInputError extends Error {
  override readonly name = 'InvalidInputError';
}

/** The named workflow or schedule does not exist. The CLI exits 3. */
export class NotFoundError extends Error {
  override readonly name = 'NotFoundError';
}
