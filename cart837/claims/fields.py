"""The only module that knows element positions (837I 005010X223A2)."""

from __future__ import annotations

# CLM (2300)
CLM_ID, CLM_TOTAL, CLM_FACILITY = 1, 2, 5
FACILITY_CODE, FACILITY_FREQUENCY = 0, 2
# SV2 (2400)
SV2_REVENUE, SV2_PROCEDURE, SV2_CHARGE, SV2_UNIT_BASIS, SV2_UNITS, SV2_NONCOVERED = 1, 2, 3, 4, 5, 7
PROC_QUALIFIER, PROC_CODE, PROC_FIRST_MODIFIER, PROC_MODIFIER_SLOTS = 0, 1, 2, 4
# LX, DTP, HI, NTE, SBR, NM1, DMG
LX_NUMBER = 1
DTP_QUALIFIER, DTP_FORMAT, DTP_VALUE = 1, 2, 3
DTP_SERVICE_DATE, DTP_STATEMENT_DATES = "472", "434"
HI_QUALIFIER, HI_CODE, HI_AMOUNT = 0, 1, 4
HI_CONDITION, HI_VALUE = "BG", "BE"
# 005010X223A2 2300 HI qualifiers: principal, other, admitting, patient's reason for visit, external
# cause of injury (ICD-10 "A..." and ICD-9 forms); principal and other procedure (ICD-10, ICD-9, ABC).
HI_DIAGNOSIS = frozenset({"ABK", "ABF", "ABJ", "APR", "ABN", "BK", "BF", "BJ", "PR", "BN"})
HI_PROCEDURE = frozenset({"BBR", "BBQ", "BR", "BQ", "CAH"})
NTE_TEXT = 2
REF_QUALIFIER, REF_VALUE = 1, 2
REF_PAYER_CLAIM_CONTROL = "F8"  # 2300 REF*F8: the payer claim control number (TR3, CLM05-3 7/8)
SBR_FILING = 9
NM1_ENTITY, NM1_LAST, NM1_FIRST, NM1_ID = 1, 3, 4, 9
NM1_SUBSCRIBER, NM1_PAYER, NM1_PATIENT = "IL", "PR", "QC"
DMG_BIRTH_DATE = 2
HL_ID, HL_PARENT, HL_LEVEL = 1, 2, 3  # HL03: 20 billing provider, 22 subscriber, 23 patient
