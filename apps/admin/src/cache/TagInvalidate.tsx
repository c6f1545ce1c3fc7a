import { type FormEvent, useId, useState } from "react";
import { ErrorNotice, Panel } from "../components/Panel.js";
import { useInvalidateTag } from "./use-invalidate-tag.js";

/** Invalidates any tag by name (e.g. `users:list`, which every cached user list page carries). */
export function TagInvalidate() {
  const [tag, setTag] = useState("");
  const [notice, setNotice] = useState<string | null>(null);
  const invalidate = useInvalidateTag(setNotice);
  const inputId = useId();
  const hintId = useId();
  function submit(event: FormEvent) {
    event.preventDefault();
    if (tag.trim() !== "") invalidate.mutate({ tag: tag.trim() });
  }
  return (
    <Panel title="Invalidate a tag" className="wide">
      <form className="inline" onSubmit={submit}>
        <label htmlFor={inputId}>Tag</label>
        <input
          id={inputId}
          value={tag}
          required
          maxLength={200}
          aria-describedby={hintId}
          placeholder="users:list"
          onChange={(event) => setTag(event.target.value)}
        />
        <button type="submit" disabled={invalidate.isPending}>
          Invalidate tag
        </button>
      </form>
      {notice && (
        <p className="notice" role="status">
          {notice}
        </p>
      )}
      {invalidate.isError && <ErrorNotice error={invalidate.error} />}
      <p className="hint" id={hintId}>
        Every entry carrying the tag, in every namespace, is dropped from every instance's L1 at once (through the bus); Redis copies are
        found dead by their next read. Loads under way for them do not fill.
      </p>
    </Panel>
  );
}
