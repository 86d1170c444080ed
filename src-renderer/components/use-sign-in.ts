import { useState } from 'react';
import { useApi } from '../api-context.tsx';

/**
 * Signing in and out from the window: the IdP's page opens in the browser (its address is kept
 * for "open the sign-in page" when no browser opened); `error` is what the last attempt threw.
 */
export function useSignIn() {
  const api = useApi();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [authorizationUrl, setAuthorizationUrl] = useState<string | null>(null);

  const run = async (action: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await action();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return {
    busy,
    error,
    authorizationUrl,
    signIn: () => run(async () => setAuthorizationUrl((await api.login()).authorizationUrl)),
    signOut: () =>
      run(async () => {
        setAuthorizationUrl(null);
        await api.logout();
      }),
  };
}
