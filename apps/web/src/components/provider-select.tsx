/**
 * The payment provider of a deposit or a withdrawal: one place to change which are offered. It
 * offers only the providers this installation has enabled (GET /v1/payments/providers), in its order,
 * and moves a choice that is not among them to the first that is.
 */
import { useEffect } from 'react';
import { useQuery } from '@tanstack/react-query';
import { api } from '../api/client';
import { must, shownOf } from '../api/problem';
import { Loading, Notice, ProblemAlert, Select } from './ui';
import { isProvider, providerName, type Provider } from '../payments';

export function useProviders() {
  return useQuery({
    queryKey: ['payment-providers'],
    queryFn: async () => must(await api.GET('/v1/payments/providers')).providers,
    staleTime: 5 * 60_000,
  });
}

export function ProviderSelect(props: {
  readonly label: string;
  readonly value: Provider;
  readonly onChange: (provider: Provider) => void;
}) {
  const enabled = useProviders();
  const { value, onChange } = props;
  const first = enabled.data?.[0];
  const offered = enabled.data?.includes(value) ?? true;
  useEffect(() => {
    if (!offered && first !== undefined) onChange(first);
  }, [offered, first, onChange]);

  if (enabled.isPending) return <Loading label="Loading the payment providers…" />;
  if (enabled.isError) return <ProblemAlert shown={shownOf(enabled.error)} />;
  if (enabled.data.length === 0)
    return <Notice tone="warning">No payment provider is enabled here yet; ask the operator of this service.</Notice>;
  return (
    <Select
      label={props.label}
      name="provider"
      value={value}
      onChange={(event) => {
        const provider = event.currentTarget.value;
        if (isProvider(provider)) onChange(provider);
      }}
    >
      {enabled.data.map((provider) => (
        <option key={provider} value={provider}>
          {providerName[provider]}
        </option>
      ))}
    </Select>
  );
}
