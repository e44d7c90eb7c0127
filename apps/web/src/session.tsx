/**
 * The signed-in session. The access token is kept in memory (api/client.ts),
 * never in localStorage or sessionStorage. After a reload, and a minute before
 * the token expires, the app asks POST /v1/auth/refresh, which reads the
 * HttpOnly refresh cookie and rotates it. Only one refresh runs at a time: the
 * gateway ends the whole session when a used refresh token is shown again.
 */
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { api, setAccessToken, setUnauthorizedHandler, type SessionBody, type User } from './api/client';

type Status = 'starting' | 'signed-out' | 'signed-in';

interface Session {
  readonly status: Status;
  readonly user: User | undefined;
  /** Why the last session ended, when it was not the user's choice. */
  readonly notice: string | undefined;
  signedIn(body: SessionBody): void;
  readonly updateUser: (user: User) => void;
  signOut(): Promise<void>;
  /** The server ended the session (password change elsewhere, deletion). */
  ended(notice?: string): void;
}

const SessionContext = createContext<Session | undefined>(undefined);

let refreshing: Promise<SessionBody | undefined> | undefined;

/** One refresh at a time; undefined when there is no live session. */
export function refreshSession(): Promise<SessionBody | undefined> {
  refreshing ??= api
    .POST('/v1/auth/refresh', { credentials: 'same-origin' })
    .then((result) => result.data)
    .catch(() => undefined)
    .finally(() => {
      refreshing = undefined;
    });
  return refreshing;
}

export function SessionProvider({ children }: { readonly children: ReactNode }) {
  const queryClient = useQueryClient();
  const [status, setStatus] = useState<Status>('starting');
  const [user, setUser] = useState<User | undefined>();
  const [notice, setNotice] = useState<string | undefined>();
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);

  const clear = useCallback(
    (message?: string) => {
      clearTimeout(timer.current);
      setAccessToken(undefined);
      setUser(undefined);
      setNotice(message);
      setStatus('signed-out');
      queryClient.clear();
    },
    [queryClient],
  );

  const signedIn = useCallback(
    (body: SessionBody) => {
      setAccessToken(body.accessToken);
      setUser(body.user);
      setNotice(undefined);
      setStatus('signed-in');
      clearTimeout(timer.current);
      // Refresh a minute before expiry (at least 5 s from now), so requests never carry an expired token.
      const inMs = Math.max(5, body.expiresIn - 60) * 1000;
      timer.current = setTimeout(() => {
        void refreshSession().then((next) => {
          if (next === undefined) clear('Your session ended. Sign in again.');
          else signedIn(next);
        });
      }, inMs);
    },
    [clear],
  );

  useEffect(() => {
    let live = true;
    void refreshSession().then((body) => {
      if (!live) return;
      if (body === undefined) setStatus('signed-out');
      else signedIn(body);
    });
    return () => {
      live = false;
    };
  }, [signedIn]);

  useEffect(() => {
    setUnauthorizedHandler(() => clear('Your session ended. Sign in again.'));
    return () => {
      setUnauthorizedHandler(undefined);
      clearTimeout(timer.current);
    };
  }, [clear]);

  const signOut = useCallback(async () => {
    await api.POST('/v1/auth/logout').catch(() => undefined);
    clear();
  }, [clear]);

  const value = useMemo<Session>(
    () => ({ status, user, notice, signedIn, updateUser: setUser, signOut, ended: clear }),
    [status, user, notice, signedIn, signOut, clear],
  );
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (session === undefined) throw new Error('useSession outside SessionProvider');
  return session;
}
