#!/usr/bin/python3
"""Drives walguard's status page in headless Chromium (Debian chromium,
chromium-driver, python3-selenium) for Operations.StatusPageFollowsAnIncident.

  status_page_check.py URL EVENT_ID ALERT_TYPE MARKER_FILE SCREENSHOT_DIR

Loads the page once, then only watches it (the page polls by itself):
  1. waits until the event's health_score is > 0 and an ALERT_TYPE alert is
     listed; saves status-incident.png and creates MARKER_FILE, the test's cue
     to commit the fix;
  2. waits, without a reload, until the score is 0 and the alert is gone;
     saves status-fixed.png.
Exit 0 when both were seen, 1 with the reason (and status-failed.png) otherwise.
"""
import os
import sys
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service


# Read in one script so both figures come from the same render: the page
# re-renders its lists on every poll, and an element found by one WebDriver
# call may be gone (stale) by the next.
STATE_JS = """
const score = document.querySelector(arguments[0]);
return [score ? score.textContent : null, document.querySelectorAll(arguments[1]).length];
"""


def page_state(driver, event_id, alert_type):
    text, alerts = driver.execute_script(STATE_JS, f'.health-score[data-event="{event_id}"]',
                                         f'tr.alert[data-type="{alert_type}"]')
    text = (text or '').strip()
    score = int(text) if text.lstrip('-').isdigit() else None
    return score, alerts


def wait_for(driver, what, predicate, event_id, alert_type, timeout_s):
    deadline = time.time() + timeout_s
    last = None
    while time.time() < deadline:
        last = page_state(driver, event_id, alert_type)
        if predicate(*last):
            return True, last
        time.sleep(0.25)
    return False, last


def main():
    url, event_id, alert_type, marker, shots = sys.argv[1:6]
    os.makedirs(shots, exist_ok=True)
    options = webdriver.ChromeOptions()
    options.binary_location = '/usr/bin/chromium'
    for arg in ('--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
                '--window-size=1400,1000'):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service('/usr/bin/chromedriver'), options=options)
    try:
        driver.get(url)
        ok, last = wait_for(driver, 'incident', lambda score, alerts: score is not None and score > 0 and alerts > 0,
                            event_id, alert_type, 60)
        if not ok:
            driver.save_screenshot(os.path.join(shots, 'status-failed.png'))
            print(f'incident not shown: (health_score, {alert_type} rows) = {last}', flush=True)
            return 1
        incident = os.path.join(shots, 'status-incident.png')
        driver.save_screenshot(incident)
        print(f'incident shown: (health_score, alert rows) = {last}; screenshot {incident}', flush=True)
        open(marker, 'w').close()
        ok, last = wait_for(driver, 'fixed', lambda score, alerts: score == 0 and alerts == 0, event_id, alert_type, 60)
        if not ok:
            driver.save_screenshot(os.path.join(shots, 'status-failed.png'))
            print(f'fix not shown: (health_score, {alert_type} rows) = {last}', flush=True)
            return 1
        fixed = os.path.join(shots, 'status-fixed.png')
        driver.save_screenshot(fixed)
        print(f'fix shown without a reload: (health_score, alert rows) = {last}; screenshot {fixed}', flush=True)
        return 0
    finally:
        driver.quit()


if __name__ == '__main__':
    sys.exit(main())
