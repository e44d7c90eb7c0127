/** The payment provider of a deposit or a withdrawal: one list, one place to change which are offered. */
import { Select } from './ui';
import { isProvider, providerName, providers, type Provider } from '../payments';

export function ProviderSelect(props: {
  readonly label: string;
  readonly value: Provider;
  readonly onChange: (provider: Provider) => void;
}) {
  return (
    <Select
      label={props.label}
      name="provider"
      value={props.value}
      onChange={(event) => {
        const provider = event.currentTarget.value;
        if (isProvider(provider)) props.onChange(provider);
      }}
    >
      {providers.map((provider) => (
        <option key={provider} value={provider}>
          {providerName[provider]}
        </option>
      ))}
    </Select>
  );
}
