import type { Logger } from "pino";
import type { Config } from "../config.js";
import type { UserFields, UserProfile, UsersRepository } from "./repository.js";

/**
 * What the `user` procedures (byId, create, update, delete) call: the read and
 * write path of profiles. {@link UserService} is the one the API ships (Hoard's
 * cache, the outbox); the benchmarks plug other strategies in through
 * `StartOptions.profiles` to compare them behind the same procedures.
 */
export interface ProfileStore {
  byId(id: number): Promise<UserProfile | null>;
  create(fields: UserFields): Promise<UserProfile>;
  update(id: number, patch: Partial<UserFields>): Promise<UserProfile | null>;
  delete(id: number): Promise<boolean>;
}

/** What a replacement {@link ProfileStore} is built from. */
export interface ProfileStoreParts {
  config: Config;
  log: Logger;
  repository: UsersRepository;
  /** One row from Postgres followed by the lab's database latency: the same load Hoard's cache calls. */
  loadRow(id: number): Promise<UserProfile | null>;
}

/** A replacement read/write path and how to stop it. */
export interface CustomProfileStore {
  store: ProfileStore;
  close(): Promise<void>;
}

/** Builds a replacement {@link ProfileStore} when the instance starts. */
export type ProfileStoreFactory = (parts: ProfileStoreParts) => CustomProfileStore | Promise<CustomProfileStore>;
