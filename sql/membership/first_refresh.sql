-- Whether the account has never completed a membership refresh (its first listing then
-- stands for the minutes it took to collect).
-- Parameters: $account_id (VARCHAR).
SELECT count(*) = 0 FROM membership_refreshes WHERE account_id = $account_id AND complete
