#include "dtmf.h"

#include "byteorder.h"
#include "uc_errors.h"

static const char EVENT_CHARS[UC_DTMF_MAX_EVENT + 1] = {'0', '1', '2', '3', '4', '5', '6', '7',
                                                          '8', '9', '*', '#', 'A', 'B', 'C', 'D'};

int uc_dtmf_parse(const uint8_t *buf, size_t len, uc_dtmf_payload *out)
{
    if (!buf || len < UC_DTMF_PAYLOAD_SIZE)
        return UC_ERR_TRUNCATED;
    out->event = buf[0];
    out->end = (uint8_t)(buf[1] >> 7);
    out->volume = (uint8_t)(buf[1] & 0x3f);
    out->duration = uc_rd16(buf + 2);
    return UC_OK;
}

void uc_dtmf_write(uint8_t *out, const uc_dtmf_payload *p)
{
    out[0] = p->event;
    out[1] = (uint8_t)((p->end ? 0x80 : 0) | (p->volume & 0x3f));
    uc_wr16(out + 2, p->duration);
}

char uc_dtmf_event_char(int event)
{
    return event >= 0 && event <= UC_DTMF_MAX_EVENT ? EVENT_CHARS[event] : 0;
}

int uc_dtmf_char_event(char c)
{
    if (c >= 'a' && c <= 'd')
        c = (char)(c - 'a' + 'A');
    for (int i = 0; i <= UC_DTMF_MAX_EVENT; i++)
        if (EVENT_CHARS[i] == c)
            return i;
    return UC_ERR_ARGUMENT;
}

int uc_dtmf_receive(uc_dtmf_receiver *r, uint32_t timestamp, const uc_dtmf_payload *p,
                    int *event, uint32_t *duration)
{
    if (!p->end)
        return 0;
    if (r->have_last && r->last_ts == timestamp)
        return 0;
    r->have_last = 1;
    r->last_ts = timestamp;
    *event = p->event;
    *duration = p->duration;
    return 1;
}

int uc_dtmf_sender_start(uc_dtmf_sender *s, int event, uint32_t duration, uint8_t volume,
                         uint32_t timestamp)
{
    if (s->active)
        return UC_ERR_STATE;
    if (event < 0 || event > UC_DTMF_MAX_EVENT || duration == 0 || duration > 65535 || volume > 63)
        return UC_ERR_ARGUMENT;
    s->active = 1;
    s->event = (uint8_t)event;
    s->volume = volume;
    s->first = 1;
    s->ends_left = UC_DTMF_END_REPEATS;
    s->timestamp = timestamp;
    s->elapsed = 0;
    s->duration = duration;
    return UC_OK;
}

int uc_dtmf_sender_next(uc_dtmf_sender *s, uint32_t tick, uc_dtmf_payload *p, int *marker,
                        uint32_t *timestamp)
{
    if (!s->active)
        return 0;
    if (s->elapsed < s->duration) {
        s->elapsed += tick;
        if (s->elapsed > s->duration)
            s->elapsed = s->duration;
    }
    p->event = s->event;
    p->volume = s->volume;
    p->duration = (uint16_t)s->elapsed;
    p->end = s->elapsed >= s->duration;
    *marker = s->first;
    *timestamp = s->timestamp;
    s->first = 0;
    if (p->end && --s->ends_left == 0)
        s->active = 0;
    return 1;
}
