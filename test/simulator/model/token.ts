/** The client_token every create takes (library, item, update and download session). */
import { fail } from '../errors';
import { isUuid } from '../wire';

/** CLIENT_TOKEN_UUID (001): "InvalidArgument if the client_token does not conform to the UUID format." */
export function checkClientToken(token: string | undefined): void {
  if (token !== undefined && !isUuid(token))
    fail('invalid_argument', 'CLIENT_TOKEN_UUID', `client_token ${token} is not a UUID`, [token]);
}
