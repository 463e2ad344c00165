import { randomBytes } from 'node:crypto';
import type { Pool } from 'pg';
import { addPerson, issueToken } from '../../app/people';
import type { Role } from '../../domain/people';

/** A new person with these roles and a fresh bearer token: `headers: { authorization: \`Bearer ${token}\` }`. */
export async function personWithToken(
  pool: Pool,
  roles: Role[],
  personId = `p-test-${randomBytes(4).toString('hex')}`,
  displayName = `Test ${roles.join('/')}`,
): Promise<{ personId: string; token: string; tokenId: string }> {
  await addPerson(pool, { id: personId, displayName, email: `${personId}@hospital.test`, roles });
  const { token, tokenId } = await issueToken(pool, personId);
  return { personId, token, tokenId };
}
