// warroom webhook media type for Zabbix 6.0 / 6.4 / 7.x.
//
// Zabbix runs this script (ECMAScript 5.1, Duktape) with `value` holding the media type
// parameters as a JSON object. It posts ONE trigger event to warroom's
// POST {warroom_url}/v1/alerts/zabbix in the JSON contract documented in README.md beside it.
// Throwing makes Zabbix mark the alert as failed and retry it (media type "Attempts").

var SEVERITIES = ['Not classified', 'Information', 'Warning', 'Average', 'High', 'Disaster'];

// Zabbix leaves a macro it cannot resolve as literal text ("{HOST.IP}") and writes
// "*UNKNOWN*" for an item value it cannot read; neither must reach warroom as data.
function clean(text) {
    if (typeof text !== 'string') {
        return '';
    }
    text = text.trim();
    if (/^\{[A-Z0-9_.$:#]+\}$/.test(text) || text === '*UNKNOWN*') {
        return '';
    }
    return text;
}

// Zabbix macros give UNIX seconds; warroom wants RFC 3339, which toISOString() produces.
function isoFromUnix(seconds) {
    seconds = clean(seconds);
    if (!/^[0-9]+$/.test(seconds)) {
        return '';
    }
    return new Date(parseInt(seconds, 10) * 1000).toISOString();
}

// {EVENT.TAGSJSON} is an array of {"tag", "value"} objects, which warroom accepts as is.
function parseTags(json) {
    json = clean(json);
    if (json === '') {
        return [];
    }
    var tags;
    try {
        tags = JSON.parse(json);
    }
    catch (error) {
        Zabbix.log(3, '[ warroom webhook ] ignoring unreadable event_tags_json: ' + error);
        return [];
    }
    if (!Array.isArray(tags)) {
        return [];
    }
    return tags.filter(function (t) {
        return t !== null && typeof t === 'object' && typeof t.tag === 'string';
    }).map(function (t) {
        return { tag: t.tag, value: typeof t.value === 'string' ? t.value : '' };
    });
}

function tagValue(tags, name) {
    for (var i = 0; i < tags.length; i++) {
        if (tags[i].tag === name && tags[i].value !== '') {
            return tags[i].value;
        }
    }
    return '';
}

function severityName(nseverity, fallback) {
    var n = parseInt(clean(nseverity), 10);
    if (n >= 0 && n < SEVERITIES.length) {
        return SEVERITIES[n];
    }
    // Renamed severities only arrive by number, so a name is trusted only if it is built in.
    if (SEVERITIES.indexOf(clean(fallback)) !== -1) {
        return clean(fallback);
    }
    throw 'cannot tell the severity: event_nseverity is "' + nseverity + '"';
}

function buildEvent(params) {
    var eventId = clean(params.event_id);
    if (eventId === '') {
        throw 'parameter "event_id" is empty; set it to {EVENT.ID}';
    }
    var name = clean(params.event_name);
    if (name === '') {
        throw 'parameter "event_name" is empty; set it to {EVENT.NAME}';
    }
    var startedAt = isoFromUnix(params.event_timestamp);
    if (startedAt === '') {
        throw 'parameter "event_timestamp" is "' + params.event_timestamp
            + '"; set it to {EVENT.TIMESTAMP}';
    }

    var tags = parseTags(params.event_tags_json);
    var serviceTag = clean(params.service_tag) || 'service';
    var event = {
        event_id: eventId,
        status: params.event_value === '0' ? 'RESOLVED' : 'PROBLEM',
        severity: severityName(params.event_nseverity, params.event_severity),
        name: name,
        started_at: startedAt,
        tags: tags
    };

    if (event.status === 'RESOLVED') {
        // A recovery without its timestamp still resolves; "now" is the best estimate.
        event.resolved_at = isoFromUnix(params.event_recovery_timestamp)
            || new Date().toISOString();
    }

    var optional = {
        host: clean(params.host_name),
        host_ip: clean(params.host_ip),
        service: clean(params.service) || tagValue(tags, serviceTag),
        value: clean(params.item_value),
        description: clean(params.trigger_description)
    };
    Object.keys(optional).forEach(function (key) {
        if (optional[key] !== '') {
            event[key] = optional[key];
        }
    });

    var zabbixUrl = clean(params.zabbix_url).replace(/\/+$/, '');
    var triggerId = clean(params.trigger_id);
    if (zabbixUrl !== '' && triggerId !== '') {
        event.url = zabbixUrl + '/tr_events.php?triggerid=' + encodeURIComponent(triggerId)
            + '&eventid=' + encodeURIComponent(eventId);
    }
    return event;
}

try {
    var params = JSON.parse(value);

    if (clean(params.event_source) !== '' && params.event_source !== '0') {
        throw 'warroom takes trigger events only (event_source 0), got event_source '
            + params.event_source + '; use this media type in trigger actions';
    }
    // Acknowledgements and comments happen in the war room; an update repeats a known state.
    if (params.event_update_status === '1') {
        Zabbix.log(4, '[ warroom webhook ] skipping problem update for event ' + params.event_id);
        return 'OK';
    }
    if (params.event_value !== '0' && params.event_value !== '1') {
        throw 'parameter "event_value" is "' + params.event_value + '"; set it to {EVENT.VALUE}';
    }

    var base = clean(params.warroom_url).replace(/\/+$/, '');
    if (base === '') {
        throw 'parameter "warroom_url" is empty; set it to warroom\'s base URL, e.g. http://127.0.0.1:8080';
    }

    var body = JSON.stringify(buildEvent(params));
    var req = new HttpRequest();
    req.addHeader('Content-Type: application/json');
    var token = clean(params.token);
    if (token !== '') {
        req.addHeader('Authorization: Bearer ' + token);
    }
    if (clean(params.http_proxy) !== '') {
        req.setProxy(params.http_proxy);
    }

    Zabbix.log(4, '[ warroom webhook ] POST ' + base + '/v1/alerts/zabbix ' + body);
    var response = req.post(base + '/v1/alerts/zabbix', body);
    var status = req.getStatus();
    if (status < 200 || status >= 300) {
        throw 'warroom answered HTTP ' + status + ': ' + String(response).substring(0, 500);
    }
    return 'OK';
}
catch (error) {
    Zabbix.log(3, '[ warroom webhook ] sending failed: ' + error);
    throw 'Sending to warroom failed: ' + error;
}
