*** Settings ***
Documentation    Run after 01__auth_failure.robot: a fatal error stops later suites too.


*** Test Cases ***
Test In A Later Suite
    Log    This must not run either.
