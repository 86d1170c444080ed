import type { Status } from '../../src-main/core/api/contract.ts';
import { useSignIn } from './use-sign-in.ts';

/**
 * The org policy added servers whose tokens the current sign-in cannot get (the IdP issues tokens
 * only for what was asked at sign-in). One click signs in again; the banner goes when the status
 * says the new sign-in covers them.
 */
export function SignInAgainBanner(props: { status: Status | undefined }) {
  const { busy, error, authorizationUrl, signIn } = useSignIn();
  const needed = props.status?.signInNeeded;
  if (!needed) return null;

  return (
    <div className="banners">
      <div className="banner banner-warn" role="alert" data-banner="sign-in-again">
        <span>
          Your organisation added servers that need you to sign in again: <strong>{needed.servers.join(', ')}</strong>.
          {authorizationUrl && (
            <>
              {' '}
              Continue in your browser. If no browser opened,{' '}
              <a href={authorizationUrl} target="_blank" rel="noreferrer noopener">
                open the sign-in page
              </a>
              .
            </>
          )}
          {error !== null && <> {error instanceof Error ? error.message : String(error)}</>}
        </span>
        <button type="button" className="button button-small" onClick={() => void signIn()} disabled={busy}>
          {busy ? 'Opening…' : 'Sign in again'}
        </button>
      </div>
    </div>
  );
}
