import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useNavigate } from "react-router";
import { api, type Schemas, unwrap } from "../../api/client";

export type SessionInfo = Schemas["SessionInfo"];
export type TokenInfo = Schemas["TokenInfo"];

export const accountKeys = {
  sessions: ["account", "sessions"] as const,
  tokens: ["account", "tokens"] as const,
};

export function useUpdateProfile() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: Schemas["ProfileUpdate"]) => unwrap(api.PATCH("/api/me", { body })),
    onSuccess: (user) => client.setQueryData(["me"], user),
  });
}

export function useChangePassword() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: Schemas["PasswordChange"]) => unwrap(api.POST("/api/me/password", { body })),
    onSuccess: () => client.invalidateQueries({ queryKey: accountKeys.sessions }),
  });
}

export function useSessions() {
  return useQuery({
    queryKey: accountKeys.sessions,
    queryFn: () => unwrap(api.GET("/api/me/sessions")),
  });
}

/** Revoking this device's own session is signing out: the cache is dropped and the login page shown. */
export function useRevokeSession() {
  const client = useQueryClient();
  const navigate = useNavigate();
  return useMutation({
    mutationFn: (session: SessionInfo) =>
      unwrap(api.DELETE("/api/me/sessions/{session_id}", { params: { path: { session_id: session.id } } })),
    onSuccess: async (_data, session) => {
      if (!session.current) return client.invalidateQueries({ queryKey: accountKeys.sessions });
      client.clear();
      client.setQueryData(["me"], null);
      await navigate("/login");
    },
  });
}

export function useTokens() {
  return useQuery({
    queryKey: accountKeys.tokens,
    queryFn: () => unwrap(api.GET("/api/me/tokens")),
  });
}

export function useCreateToken() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: Schemas["TokenCreate"]) => unwrap(api.POST("/api/me/tokens", { body })),
    onSuccess: () => client.invalidateQueries({ queryKey: accountKeys.tokens }),
  });
}

export function useRevokeToken() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => unwrap(api.DELETE("/api/me/tokens/{token_id}", { params: { path: { token_id: id } } })),
    onSuccess: () => client.invalidateQueries({ queryKey: accountKeys.tokens }),
  });
}

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

/** A timestamp from the API in the reader's locale and time zone. */
export function formatDate(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : dateTime.format(date);
}
