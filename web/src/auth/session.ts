import { useQuery } from "@tanstack/react-query";
import { ApiError, api, type Schemas, unwrap } from "../api/client";

export type User = Schemas["User"];

/** The signed-in user, or null for a visitor. */
export function useMe() {
  return useQuery({
    queryKey: ["me"],
    meta: { allowAnonymous: true },
    queryFn: async (): Promise<User | null> => {
      try {
        return await unwrap(api.GET("/api/me"));
      } catch (error) {
        if (error instanceof ApiError && error.status === 401) return null;
        throw error;
      }
    },
    staleTime: 60_000,
  });
}

/** Whether `user` may change a record created by `createdBy` (its creator or a superuser). */
export function canEdit(user: User | null | undefined, createdBy: string | null | undefined): boolean {
  if (!user || !user.isActive) return false;
  return user.isSuperuser || (createdBy != null && createdBy === user.id);
}
