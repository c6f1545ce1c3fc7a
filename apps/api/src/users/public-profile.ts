import type { UserProfile } from "./repository.js";

/** A profile as anyone may read it: everything but the email. */
export type PublicProfile = Omit<UserProfile, "email">;

/** What the public reads answer: the full profile for the admin (the admin UI shows emails), else the public one. */
export type ProfileView = PublicProfile & { email?: string };

export function publicProfile(profile: UserProfile): PublicProfile {
  const { email: _email, ...rest } = profile;
  return rest;
}

/** `profile` as the caller may see it. */
export function viewFor(isAdmin: boolean, profile: UserProfile): ProfileView {
  return isAdmin ? profile : publicProfile(profile);
}
