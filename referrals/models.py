# Referrals and their workflow arrive with the referral issue.
