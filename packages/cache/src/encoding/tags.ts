import { InvalidOptionError } from "../errors.js";
import { encodeId } from "./keys.js";

/** Longest tag accepted, in characters. */
export const MAX_TAG_LENGTH = 200;
/** Most tags one entry may carry. */
export const MAX_TAGS = 32;

/**
 * Checks a list of tags and returns it deduplicated (in order). A tag is 1-200
 * characters without control characters; an entry carries at most 32.
 * Throws {@link InvalidOptionError} naming `where`.
 */
export function checkTags(tags: unknown, where: string): string[] {
  if (!Array.isArray(tags)) throw new InvalidOptionError(`${where}: tags must be an array of strings.`);
  const unique = [...new Set(tags)];
  if (unique.length > MAX_TAGS) throw new InvalidOptionError(`${where}: at most ${MAX_TAGS} tags (got ${unique.length}).`);
  for (const tag of unique) {
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what is refused
    if (typeof tag !== "string" || tag.length === 0 || tag.length > MAX_TAG_LENGTH || /[\u0000-\u001f\u007f]/.test(tag)) {
      throw new InvalidOptionError(
        `${where}: invalid tag ${JSON.stringify(tag)} (use 1-${MAX_TAG_LENGTH} characters, no control characters).`,
      );
    }
  }
  return unique as string[];
}

/**
 * Where tags live in Redis. `{prefix}:tagseq` is the cache-wide tag sequence
 * (INCR per invalidateTags/expireTags); `{prefix}:tag:{<tag>}` holds the
 * sequence numbers of a tag's last invalidation and last expiry ("inv,exp").
 * The braces are a hash tag: one script touches one tag key, so it runs on a
 * cluster too.
 */
export class TagKeys {
  readonly sequence: string;
  constructor(readonly prefix: string) {
    this.sequence = `${prefix}:tagseq`;
  }

  /** The key of one tag. */
  of(tag: string): string {
    return `${this.prefix}:tag:{${encodeId(tag)}}`;
  }
}
