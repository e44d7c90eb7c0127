-- Platform accounts. They may go below zero (a clearing account is negative
-- while the provider owes us the money), so no_overdraft is false.
insert into accounts (id, asset, owner_type, owner_id, code, no_overdraft)
select 'system:' || kind || ':' || asset, asset, 'system', 'platform', kind, false
from (
  values
    ('stripe_clearing', 'USD'), ('stripe_clearing', 'EUR'),
    ('paypal_clearing', 'USD'), ('paypal_clearing', 'EUR'),
    ('sandbox_clearing', 'USD'), ('sandbox_clearing', 'EUR'),
    ('payouts_in_flight', 'USD'), ('payouts_in_flight', 'EUR'),
    ('hot_wallet', 'ETH'),
    ('withdrawals_in_flight', 'ETH'),
    ('treasury', 'USD'), ('treasury', 'EUR'), ('treasury', 'ETH'),
    ('fees', 'USD'), ('fees', 'EUR'), ('fees', 'ETH')
) as system_accounts (kind, asset);
