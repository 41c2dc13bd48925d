import { RequireAuth } from "../../components/RequireAuth";
import { usePageTitle } from "../../components/usePageTitle";
import "./account.css";
import { PasswordSection } from "./PasswordSection";
import { ProfileSection } from "./ProfileSection";
import { SessionsSection } from "./SessionsSection";
import { TokensSection } from "./TokensSection";

export function AccountPage() {
  usePageTitle("Your account");
  return (
    <RequireAuth>
      {(user) => (
        <>
          <h1>Your account</h1>
          <ProfileSection key={user.id} user={user} />
          <PasswordSection />
          <SessionsSection />
          <TokensSection />
        </>
      )}
    </RequireAuth>
  );
}
