import { lazy, Suspense, useEffect, useRef, type ReactNode } from 'react';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { BrowserRouter, Link, Navigate, NavLink, Route, Routes, useLocation } from 'react-router';
import { Loading } from './components/ui';
import { SessionProvider, useSession } from './session';
import { ShownError } from './api/problem';

const LoginPage = lazy(() => import('./pages/auth').then((m) => ({ default: m.LoginPage })));
const RegisterPage = lazy(() => import('./pages/auth').then((m) => ({ default: m.RegisterPage })));
const HomePage = lazy(() => import('./pages/home').then((m) => ({ default: m.HomePage })));
const KycPage = lazy(() => import('./pages/kyc').then((m) => ({ default: m.KycPage })));
const HistoryPage = lazy(() => import('./pages/history').then((m) => ({ default: m.HistoryPage })));
const TransferPage = lazy(() => import('./pages/history').then((m) => ({ default: m.TransferPage })));
const SendPage = lazy(() => import('./pages/send').then((m) => ({ default: m.SendPage })));
const PaymentsPage = lazy(() => import('./pages/payments').then((m) => ({ default: m.PaymentsPage })));
const DepositPage = lazy(() => import('./pages/deposit').then((m) => ({ default: m.DepositPage })));
const DepositStatusPage = lazy(() => import('./pages/deposit').then((m) => ({ default: m.DepositStatusPage })));
const WithdrawPage = lazy(() => import('./pages/withdraw').then((m) => ({ default: m.WithdrawPage })));
const SettingsPage = lazy(() => import('./pages/settings').then((m) => ({ default: m.SettingsPage })));
const ReviewQueuePage = lazy(() => import('./pages/operator').then((m) => ({ default: m.ReviewQueuePage })));
const ReviewPage = lazy(() => import('./pages/operator').then((m) => ({ default: m.ReviewPage })));

const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      // Refused requests (4xx) are answers, not glitches: do not retry them.
      retry: (count, error) =>
        !(error instanceof ShownError && error.shown.status >= 400 && error.shown.status < 500) && count < 2,
      refetchOnWindowFocus: false,
      staleTime: 5_000,
    },
  },
});

export function App() {
  return (
    <QueryClientProvider client={queryClient}>
      <BrowserRouter>
        <SessionProvider>
          <Shell />
        </SessionProvider>
      </BrowserRouter>
    </QueryClientProvider>
  );
}

function Shell() {
  const session = useSession();
  const location = useLocation();
  const main = useRef<HTMLElement>(null);
  // After a page change, move focus to the page so keyboard and screen reader users start at its heading.
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    main.current?.focus();
  }, [location.pathname]);

  if (session.status === 'starting')
    return (
      <main className="page page-center">
        <Loading label="Opening your wallet…" />
      </main>
    );
  const signedIn = session.status === 'signed-in';
  return (
    <>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <Link to="/" className="brand">
          <span className="brand-mark" aria-hidden="true">
            T50
          </span>
          <span className="brand-name">Transactions50</span>
        </Link>
        {signedIn ? <Nav /> : null}
      </header>
      <main id="main" ref={main} tabIndex={-1} className="page">
        <Suspense fallback={<Loading />}>
          <Routes>
            <Route
              path="/login"
              element={signedIn ? <Navigate to={fromOf(location.state)} replace /> : <LoginPage />}
            />
            {/* A new account continues with verification. */}
            <Route path="/register" element={signedIn ? <Navigate to="/verify" replace /> : <RegisterPage />} />
            <Route
              path="/"
              element={
                <Private>
                  <HomePage />
                </Private>
              }
            />
            <Route
              path="/verify"
              element={
                <Private>
                  <KycPage />
                </Private>
              }
            />
            <Route
              path="/send"
              element={
                <Private>
                  <SendPage />
                </Private>
              }
            />
            <Route path="/history" element={<Navigate to="/history/USD" replace />} />
            <Route
              path="/history/:asset"
              element={
                <Private>
                  <HistoryPage />
                </Private>
              }
            />
            <Route
              path="/transfers/:transferId"
              element={
                <Private>
                  <TransferPage />
                </Private>
              }
            />
            {(
              [
                ['/payments', <PaymentsPage />],
                ['/deposit', <DepositPage />],
                ['/deposits/:depositId', <DepositStatusPage />],
                ['/withdraw', <WithdrawPage />],
              ] as const
            ).map(([path, page]) => (
              <Route key={path} path={path} element={<Private>{page}</Private>} />
            ))}
            <Route
              path="/settings"
              element={
                <Private>
                  <SettingsPage />
                </Private>
              }
            />
            <Route
              path="/review"
              element={
                <Private operator>
                  <ReviewQueuePage />
                </Private>
              }
            />
            <Route
              path="/review/:submissionId"
              element={
                <Private operator>
                  <ReviewPage />
                </Private>
              }
            />
            <Route path="*" element={<NotFound />} />
          </Routes>
        </Suspense>
      </main>
    </>
  );
}

/** Where a person was going before being asked to log in. */
function fromOf(state: unknown): string {
  const from = (state as { from?: unknown } | null)?.from;
  return typeof from === 'string' && from.startsWith('/') && from !== '/login' ? from : '/';
}

function Nav() {
  const session = useSession();
  const user = session.user;
  return (
    <nav aria-label="Main" className="nav">
      <ul>
        <li>
          <NavLink to="/" end>
            Home
          </NavLink>
        </li>
        <li>
          <NavLink to="/send">Send</NavLink>
        </li>
        <li>
          <NavLink to="/history">History</NavLink>
        </li>
        <li>
          <NavLink to="/payments">Payments</NavLink>
        </li>
        <li>
          <NavLink to="/verify">Verification</NavLink>
        </li>
        {user?.role === 'operator' ? (
          <li>
            <NavLink to="/review">KYC review</NavLink>
          </li>
        ) : null}
        <li>
          <NavLink to="/settings">Settings</NavLink>
        </li>
      </ul>
      <div className="nav-user">
        <span className="nav-email" title={user?.email}>
          {user?.email}
        </span>
        <button type="button" className="button button-ghost" onClick={() => void session.signOut()}>
          Log out
        </button>
      </div>
    </nav>
  );
}

function Private({ children, operator = false }: { readonly children: ReactNode; readonly operator?: boolean }) {
  const session = useSession();
  const location = useLocation();
  if (session.status !== 'signed-in') return <Navigate to="/login" replace state={{ from: location.pathname }} />;
  if (operator && session.user?.role !== 'operator')
    return (
      <div className="stack">
        <h1>KYC review</h1>
        <p>Only operators can review identity documents.</p>
      </div>
    );
  return children;
}

function NotFound() {
  return (
    <div className="stack">
      <h1>Page not found</h1>
      <p>
        There is nothing at this address. <Link to="/">Go to your wallet</Link>.
      </p>
    </div>
  );
}
