// Errors in the person's language: each kind the app meets is a message of the catalogue (a technical message in
// English never reaches the page).
import { ApiError, OfflineError, ProtocolMismatchError } from '../core/api';
import { ModelRefusedError } from '../core/model';
import { RecoveryCodeError } from '../device/identity';
import type { ReceiptProblem } from '../../shared/protocol/deletion';
import { t } from './i18n';

/** One line for an error. */
export function errorText(err: unknown): string {
  if (err instanceof OfflineError) return t('error.offline');
  if (err instanceof ApiError) return t('error.server', { code: err.code, status: err.status });
  if (err instanceof ModelRefusedError) return t('error.modelRefused');
  if (err instanceof ProtocolMismatchError) return t('error.protocol');
  if (err instanceof RecoveryCodeError) return t('error.recoveryCode');
  return t('error.unexpected', { name: err instanceof Error ? err.name : typeof err });
}

/** Why a receipt does not verify, in words. */
export function receiptProblemText(problem: ReceiptProblem): string {
  switch (problem.field) {
    case 'signature':
      return t('receipt.signature');
    case 'deviceKeyHash':
      return t('receipt.otherDevice');
    case 'nonce':
      return t('receipt.otherRequest');
    case 'keyId':
      return t('receipt.unknownKey');
    case 'receipt':
      return t('receipt.missing');
    default:
      return t('receipt.changedField', { field: problem.field });
  }
}
