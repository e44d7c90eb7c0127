/**
 * The currency and amount of a fiat deposit or withdrawal: the amount is
 * decimal text as typed (the page turns it into minor units with bigint
 * arithmetic, never a float).
 */
import { Field, Select } from './ui';
import { fiatAssets, isFiatAsset, type FiatAsset } from '../payments';

export function FiatAmountFields(props: {
  readonly asset: FiatAsset;
  readonly amount: string;
  readonly onAsset: (asset: FiatAsset) => void;
  readonly onAmount: (amount: string) => void;
  readonly hint?: string | undefined;
  readonly error?: string | undefined;
}) {
  return (
    <div className="grid-2">
      <Select
        label="Currency"
        name="asset"
        value={props.asset}
        onChange={(event) => {
          const asset = event.currentTarget.value;
          if (isFiatAsset(asset)) props.onAsset(asset);
        }}
      >
        {fiatAssets.map((asset) => (
          <option key={asset} value={asset}>
            {asset}
          </option>
        ))}
      </Select>
      <Field
        label="Amount"
        name="amount"
        inputMode="decimal"
        autoComplete="off"
        value={props.amount}
        onChange={(event) => props.onAmount(event.currentTarget.value)}
        hint={props.hint}
        error={props.error}
      />
    </div>
  );
}
