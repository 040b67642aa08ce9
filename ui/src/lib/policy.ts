import type { RefundPolicy } from '../bindings'

type Switches = Pick<RefundPolicy, 'revoke_grants_on_full_refund' | 'return_credits_on_full_refund'>

/** What a full refund takes back under a policy: one i18n key per combination of the two switches. */
export type FullRefundEffect = 'both' | 'grants' | 'credits' | 'nothing'

export function fullRefundEffect(p: Switches): FullRefundEffect {
  if (p.revoke_grants_on_full_refund) return p.return_credits_on_full_refund ? 'both' : 'grants'
  return p.return_credits_on_full_refund ? 'credits' : 'nothing'
}

/** Whether the switches differ from what is stored (null: unreadable, so any valid choice repairs it). */
export function policyChanged(stored: Switches | null, edited: Switches): boolean {
  return (
    stored === null ||
    stored.revoke_grants_on_full_refund !== edited.revoke_grants_on_full_refund ||
    stored.return_credits_on_full_refund !== edited.return_credits_on_full_refund
  )
}
