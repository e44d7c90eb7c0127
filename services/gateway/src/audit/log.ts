/**
 * The audit log: one append-only row per change to a profile, a tier, KYC data
 * or a session's security, written in the transaction of the change.
 */
import type { Queryable } from '@t50/kit';

export type AuditAction =
  | 'profile.created'
  | 'profile.deleted'
  | 'email.changed'
  | 'password.changed'
  | 'tier.changed'
  | 'role.changed'
  | 'kyc.level1.submitted'
  | 'kyc.document.uploaded'
  | 'kyc.level2.submitted'
  | 'kyc.level2.approved'
  | 'kyc.level2.rejected'
  | 'kyc.level2.review_refused'
  | 'sessions.revoked'
  | 'refresh_token.reused';

export interface AuditRecord {
  readonly userId: string;
  /** Who acted; undefined for the system. */
  readonly actorId: string | undefined;
  readonly action: AuditAction;
  readonly detail?: Record<string, unknown>;
}

export async function audit(tx: Queryable, record: AuditRecord): Promise<void> {
  await tx.query('insert into audit_log (user_id, actor_id, action, detail) values ($1, $2, $3, $4::text::jsonb)', [
    record.userId,
    record.actorId ?? null,
    record.action,
    JSON.stringify(record.detail ?? {}),
  ]);
}
