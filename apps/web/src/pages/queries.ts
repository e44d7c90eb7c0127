import { useQuery } from '@tanstack/react-query';
import { api } from '../api/client';
import { must } from '../api/problem';
import { useSession } from '../session';
import { useEffect } from 'react';

/** The profile, kept in step with the session's copy (the tier changes after KYC). */
export function useMe() {
  const session = useSession();
  const query = useQuery({ queryKey: ['me'], queryFn: async () => must(await api.GET('/v1/me')) });
  const updateUser = session.updateUser;
  useEffect(() => {
    if (query.data !== undefined) updateUser(query.data);
  }, [query.data, updateUser]);
  return query;
}

export function useBalances() {
  return useQuery({ queryKey: ['accounts'], queryFn: async () => must(await api.GET('/v1/accounts')) });
}

export function useKyc() {
  return useQuery({ queryKey: ['kyc'], queryFn: async () => must(await api.GET('/v1/kyc')) });
}
