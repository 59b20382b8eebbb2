-- The next run of the cleanup job succeeds: cron_job_failed resolves.
INSERT INTO cron.job_run_details (jobid, runid, job_pid, database, username, command, status, return_message,
                                  start_time, end_time)
VALUES (1, 2, 4243, current_database(), current_user, 'SELECT ticketing.cleanup_expired_ticket_holds()',
        'succeeded', '1 row', now(), now() + interval '35 ms');
