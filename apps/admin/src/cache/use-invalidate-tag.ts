import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useTRPC } from "../trpc.js";

/**
 * Invalidates one cache tag (admin): every entry carrying it, in every namespace and instance, is gone.
 * Tells `onNotice` what happened and refreshes the cache views.
 */
export function useInvalidateTag(onNotice: (text: string) => void) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  return useMutation(
    trpc.cache.invalidateTag.mutationOptions({
      onSuccess: (result) => {
        onNotice(
          result.acknowledged
            ? `Invalidated tag ${result.tag}: every entry carrying it is gone, in every namespace and every instance's L1.`
            : `Tag ${result.tag} is invalidated on this instance; Redis did not answer, so the others follow when it does.`,
        );
        void queryClient.invalidateQueries(trpc.cache.pathFilter());
        void queryClient.invalidateQueries({ queryKey: ["entry-count"] });
      },
    }),
  );
}
