import { type FormEvent, useId, useState } from "react";
import { ErrorNotice } from "../components/Panel.js";
import type { UserProfile } from "../trpc.js";

export interface UserFields {
  username: string;
  email: string;
  displayName: string;
  bio: string;
}

/** The fields of a profile; the API validates them and its message is shown as is. */
export function UserForm({
  initial,
  submitLabel,
  busy,
  error,
  onSubmit,
  onCancel,
}: {
  initial?: UserProfile;
  submitLabel: string;
  busy: boolean;
  error: unknown;
  onSubmit: (fields: UserFields) => void;
  onCancel?: () => void;
}) {
  const [fields, setFields] = useState<UserFields>({
    username: initial?.username ?? "",
    email: initial?.email ?? "",
    displayName: initial?.displayName ?? "",
    bio: initial?.bio ?? "",
  });
  const id = useId();
  const set = (name: keyof UserFields) => (event: { target: { value: string } }) => setFields({ ...fields, [name]: event.target.value });

  function submit(event: FormEvent) {
    event.preventDefault();
    onSubmit(fields);
  }

  return (
    <form className="stacked" onSubmit={submit}>
      <label htmlFor={`${id}-username`}>Username</label>
      <input
        id={`${id}-username`}
        value={fields.username}
        onChange={set("username")}
        required
        minLength={3}
        maxLength={64}
        autoComplete="off"
      />
      <label htmlFor={`${id}-email`}>Email</label>
      <input id={`${id}-email`} type="email" value={fields.email} onChange={set("email")} required autoComplete="off" />
      <label htmlFor={`${id}-display`}>Display name</label>
      <input id={`${id}-display`} value={fields.displayName} onChange={set("displayName")} required maxLength={128} />
      <label htmlFor={`${id}-bio`}>Bio</label>
      <textarea id={`${id}-bio`} value={fields.bio} onChange={set("bio")} rows={2} maxLength={2000} />
      {error ? <ErrorNotice error={error} /> : null}
      <div className="actions">
        {onCancel && (
          <button type="button" className="secondary" onClick={onCancel}>
            Cancel
          </button>
        )}
        <button type="submit" disabled={busy}>
          {busy ? "Saving…" : submitLabel}
        </button>
      </div>
    </form>
  );
}
