"""The 200 response samples of DeepOpinion's Studio API reference (seed deepopinion-studio-api.txt),
as JSON (the reference renders them with '- ' list markers; tokens shortened)."""

from __future__ import annotations

from typing import Any

REFERENCE_SAMPLES: dict[str, Any] = {
    "POST /organizations/{organization_id}/projects/{project_id}/models/{model_id}": {
        "model": "Invoice Extraction v1",
        "all_required_fields_found": True,
        "all_confidence_thresholds_met": True,
        "all_data_conversion_passed": True,
        "total_credits_used": 24,
        "documents": [
            {
                "name": "Invoice.pdf",
                "all_required_fields_found": True,
                "all_confidence_thresholds_met": True,
                "all_data_conversion_passed": True,
                "credits_used": 24,
                "matches": [{}],
                "bboxes": [
                    [
                        [
                            {
                                "TLx": 0.05868118572292801,
                                "TLy": 0.03465982028241335,
                                "TRx": 0.06412583182093164,
                                "TRy": 0.03465982028241335,
                                "BRx": 0.06412583182093164,
                                "BRy": 0.04150620453572957,
                                "BLx": 0.05868118572292801,
                                "BLy": 0.05868118572292801,
                                "text": "John Doe",
                                "label": "First name",
                                "confidence": 0.9936525225639343,
                            }
                        ]
                    ]
                ],
                "annotated_pages": ["..."],
                "hitl": {
                    "status": "pending",
                    "result": [
                        {
                            "confidences": [
                                {
                                    "label": "First name",
                                    "value": "John Doe",
                                    "expected_confidence": 90,
                                    "found": 70,
                                }
                            ]
                        }
                    ],
                },
            }
        ],
        "labels": [{"id": 1, "name": "POS"}],
    },
    "POST /analyze": {
        "model": "Hotels Pre-Trained",
        "documents": [
            {
                "text": "Document 1",
                "segments": [
                    {"text": "Segment 1", "span": [0, 9], "tags": [{"class": "Comfort", "label": "POS"}]}
                ],
            }
        ],
        "type": "ABSA",
    },
    "POST /auth/login": {
        "auth_token": "eyJ0eXAi.eyJleHAi.Vv_Kym",
        "message": "Successfully logged in.",
        "status": "OK",
    },
    "GET /models": {
        "models": [
            {
                "base": "Hotel Pre-Trained",
                "created": "2019-08-24T14:15:22Z",
                "display_name": "My model 1",
                "uuid": "095be615-a8ad-4c33-8e9c-c7612fbf6c9f",
                "id": 1,
                "language": "en",
                "long_description": "My model 1 can predict anything I want",
                "name": "My model 1",
                "owner": "John Doe",
                "progress": 6.78,
                "project_id": 1,
                "score": 0.68,
                "short_description": "This is a very short description of My Model 1",
                "status": "CREATED",
                "type": "ABSA",
            }
        ],
        "has_more": True,
        "offset": 0,
        "limit": 10,
        "count": 10,
    },
}
