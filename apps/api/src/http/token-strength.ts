/** Fewest characters a bearer token may have. */
export const MIN_TOKEN_LENGTH = 16;
/** Fewest different characters: `aaaaaaaaaaaaaaaa` or `abababab…` are guesses, not secrets. */
export const MIN_DISTINCT_CHARACTERS = 8;
/** Words that mark a placeholder copied from an example, never a secret. */
export const PLACEHOLDER_WORDS = ["changeme", "change-me", "change_me", "password", "example", "placeholder", "replace", "secret"] as const;

/**
 * Why `token` is too weak to guard the API, or undefined when it is acceptable: shorter than
 * MIN_TOKEN_LENGTH, fewer than MIN_DISTINCT_CHARACTERS different characters, whitespace inside, or
 * one of PLACEHOLDER_WORDS anywhere in it (any case).
 */
export function tokenWeakness(token: string): string | undefined {
  if (token.length < MIN_TOKEN_LENGTH) return `use at least ${MIN_TOKEN_LENGTH} characters`;
  if (/\s/.test(token)) return "no whitespace in a token";
  if (new Set(token).size < MIN_DISTINCT_CHARACTERS) return `use at least ${MIN_DISTINCT_CHARACTERS} different characters (a random token)`;
  const lower = token.toLowerCase();
  const word = PLACEHOLDER_WORDS.find((placeholder) => lower.includes(placeholder));
  if (word) return `looks like a placeholder ("${word}"): use a random token, e.g. \`openssl rand -hex 24\``;
  return undefined;
}
